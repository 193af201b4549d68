import Testing

@testable import RunnelSyslog

@Suite struct MessageFramerTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Feeds `stream` in pieces cut at `cuts` and returns every frame.
    static func frames(_ framing: MessageFramer.Framing, limit: Int = 100, _ stream: [UInt8], cuts: [Int]) -> [MessageFramer.Frame] {
        var framer = MessageFramer(framing: framing, limit: limit)
        var frames: [MessageFramer.Frame] = []
        var start = 0
        for cut in cuts + [stream.count] where cut >= start {
            frames += framer.append(stream[start..<cut])
            start = cut
        }
        return frames
    }

    /// The same frames whole, byte by byte, and cut in two at every offset.
    static func checkEverySplit(
        _ framing: MessageFramer.Framing, limit: Int = 100, _ text: String, _ expected: [MessageFramer.Frame]
    ) {
        let stream = bytes(text)
        #expect(frames(framing, limit: limit, stream, cuts: []) == expected, "whole")
        #expect(frames(framing, limit: limit, stream, cuts: Array(0..<stream.count)) == expected, "byte by byte")
        for cut in 0...stream.count {
            #expect(frames(framing, limit: limit, stream, cuts: [cut]) == expected, "cut at \(cut)")
        }
    }

    @Test func newlineDelimitedLines() {
        Self.checkEverySplit(
            .delimiter([0x0A]), "<13>one\n\n<14>two words\n",
            [.message(Self.bytes("<13>one")), .message([]), .message(Self.bytes("<14>two words"))])
    }

    @Test func aLineWithoutItsDelimiterIsHeld() {
        var framer = MessageFramer(framing: .delimiter([0x0A]), limit: 100)
        #expect(framer.append(Self.bytes("first\nsecond")) == [.message(Self.bytes("first"))])
        #expect(framer.pendingByteCount == 6)
        #expect(framer.append(Self.bytes(" half\n")) == [.message(Self.bytes("second half"))])
        #expect(framer.pendingByteCount == 0)
    }

    @Test func multiByteDelimiter() {
        Self.checkEverySplit(
            .delimiter(Self.bytes("\r\n")), "a\rb\r\nc\r\n", [.message(Self.bytes("a\rb")), .message(Self.bytes("c"))])
    }

    @Test func aLineLongerThanTheLimitIsSkippedAndTheNextKept() {
        let long = String(repeating: "x", count: 25)
        Self.checkEverySplit(
            .delimiter([0x0A]), limit: 10, "ok\n\(long)\nafter\n",
            [.message(Self.bytes("ok")), .tooLong(size: 25), .message(Self.bytes("after"))])
    }

    @Test func aLongLineIsNotHeldWhileItArrives() {
        var framer = MessageFramer(framing: .delimiter([0x0A]), limit: 10)
        for _ in 0..<100 { #expect(framer.append(Self.bytes("0123456789")).isEmpty) }
        #expect(framer.pendingByteCount <= 10)
        #expect(framer.append(Self.bytes("\nnext\n")) == [.tooLong(size: 1000), .message(Self.bytes("next"))])
    }

    @Test func octetCountedFrames() {
        Self.checkEverySplit(
            .octetCounting, "5 <13>a11 <14>b c\nd e\n3 xyz",
            [.message(Self.bytes("<13>a")), .message(Self.bytes("<14>b c\nd e")), .message(Self.bytes("xyz"))])
    }

    @Test func octetCountedFramesWithTrailingNewlines() {
        Self.checkEverySplit(.octetCounting, "3 abc\n3 def\r\n", [.message(Self.bytes("abc")), .message(Self.bytes("def"))])
    }

    @Test func anOctetCountedFrameOverTheLimitIsSkipped() {
        let body = String(repeating: "y", count: 40)
        Self.checkEverySplit(
            .octetCounting, limit: 10, "2 ok40 \(body)4 next", [.message(Self.bytes("ok")), .tooLong(size: 40), .message(Self.bytes("next"))])
    }

    @Test func aBadOctetCountSkipsToTheNextNewline() {
        var framer = MessageFramer(framing: .octetCounting, limit: 100)
        let frames = framer.append(Self.bytes("<13>not counted\n3 abc"))
        #expect(frames == [.invalidLength(Self.bytes("<13>not counted\n3 abc")), .message(Self.bytes("abc"))])
        #expect(framer.append(Self.bytes("12345678901 x\n2 ok")) == [.invalidLength(Self.bytes("12345678901 x\n2 ok")), .message(Self.bytes("ok"))])
    }
}
