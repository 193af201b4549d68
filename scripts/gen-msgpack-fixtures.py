#!/usr/bin/env python3
"""Writes Tests/RunnelCoreTests/MessagePackPythonFixtures.swift from the PyPI `msgpack` package.

The fixture is an oracle we did not write: for every value below, the bytes that msgpack-python
produces and the same value as a Swift `MessagePackValue` expression. RunnelCore's tests decode
the bytes and compare with the value, and encode the value and compare with the bytes.

Usage: pip install msgpack && python3 scripts/gen-msgpack-fixtures.py
"""

import os
import struct
import sys

import msgpack


class F32:
    """A float to be packed as float32 (msgpack-python packs Python floats as float64)."""

    def __init__(self, value):
        self.value = value


class Rep:
    """A long string or bytes value written compactly in the Swift file: `char` repeated `count` times."""

    def __init__(self, unit, count):
        self.unit = unit
        self.count = count

    def value(self):
        return self.unit * self.count


class RepList:
    """A long list of one repeated element."""

    def __init__(self, element, count):
        self.element = element
        self.count = count


def plain(value):
    """The Python value msgpack should pack."""
    if isinstance(value, Rep):
        return value.value()
    if isinstance(value, RepList):
        return [plain(value.element)] * value.count
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {plain_key(k): plain(v) for k, v in value.items()}
    return value


def plain_key(key):
    return plain(key)


def pack(value):
    if isinstance(value, F32):
        return msgpack.packb(value.value, use_single_float=True)
    return msgpack.packb(plain(value), use_bin_type=True)


def swift_string_literal(text):
    out = []
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        else:
            out.append("\\u{%x}" % code)
    return '"' + "".join(out) + '"'


def swift(value):
    """A Swift expression building `value` as a MessagePackValue."""
    if value is None:
        return ".nil"
    if isinstance(value, bool):
        return ".bool(%s)" % ("true" if value else "false")
    if isinstance(value, int):
        return ".uint(%d)" % value if value >= 0 else ".int(%d)" % value
    if isinstance(value, F32):
        bits = struct.unpack(">I", struct.pack(">f", value.value))[0]
        return ".float(Float(bitPattern: 0x%08x))" % bits
    if isinstance(value, float):
        bits = struct.unpack(">Q", struct.pack(">d", value))[0]
        return ".double(Double(bitPattern: 0x%016x))" % bits
    if isinstance(value, Rep):
        if isinstance(value.unit, str):
            return ".string(String(repeating: %s, count: %d))" % (swift_string_literal(value.unit), value.count)
        return ".binary(Array(repeating: 0x%02x, count: %d))" % (value.unit[0], value.count)
    if isinstance(value, RepList):
        return ".array(Array(repeating: %s, count: %d))" % (swift(value.element), value.count)
    if isinstance(value, str):
        return ".string(%s)" % swift_string_literal(value)
    if isinstance(value, bytes):
        return ".binary([%s])" % ", ".join("0x%02x" % b for b in value)
    if isinstance(value, list):
        return ".array([%s])" % ", ".join(swift(v) for v in value)
    if isinstance(value, dict):
        pairs = ", ".join("MessagePackPair(key: %s, value: %s)" % (swift(k), swift(v)) for k, v in value.items())
        return ".map([%s])" % pairs
    if isinstance(value, msgpack.Timestamp):
        return ".extension(type: -1, data: [%s])" % ", ".join("0x%02x" % b for b in value.to_bytes())
    if isinstance(value, msgpack.ExtType):
        if len(value.data) > 32 and value.data == bytes(i % 256 for i in range(len(value.data))):
            return ".extension(type: %d, data: fixturePattern(count: %d))" % (value.code, len(value.data))
        data = ", ".join("0x%02x" % b for b in value.data)
        return ".extension(type: %d, data: [%s])" % (value.code, data)
    raise TypeError("no Swift form for %r" % (value,))


def swift_bytes(data):
    """Run-length hex: runs of 16 or more equal bytes become `.run(byte, count)`."""
    parts = []
    chunk = bytearray()
    i = 0
    while i < len(data):
        j = i
        while j < len(data) and data[j] == data[i]:
            j += 1
        if j - i >= 16:
            if chunk:
                parts.append('.hex("%s")' % chunk.hex())
                chunk = bytearray()
            parts.append(".run(0x%02x, %d)" % (data[i], j - i))
        else:
            chunk.extend(data[i:j])
        i = j
    if chunk:
        parts.append('.hex("%s")' % chunk.hex())
    return "[" + ", ".join(parts) + "]"


def cases():
    c = []
    # Integers at every encoding boundary.
    for n in [0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1]:
        c.append(("uint %d" % n, n))
    for n in [-1, -32, -33, -128, -129, -32768, -32769, -(2**31), -(2**31) - 1, -(2**63)]:
        c.append(("int %d" % n, n))
    c += [("nil", None), ("false", False), ("true", True)]
    for x in [0.0, -0.0, 1.5, -2.25, 1e300, 5e-324, float("inf"), float("-inf"), float("nan")]:
        c.append(("float64 %r" % x, x))
    for x in [0.0, 1.5, -2.25, float("inf"), float("nan")]:
        c.append(("float32 %r" % x, F32(x)))
    # Strings: fixstr / str8 / str16 / str32 boundaries, escapes and non-ASCII.
    for n in [0, 1, 31, 32, 255, 256]:
        c.append(("str %d" % n, "s" * n))
    c.append(("str 65535", Rep("a", 65535)))
    c.append(("str 65536", Rep("a", 65536)))
    c.append(("str non-ascii", "h\u00e9llo \u65e5\u672c \U0001F600 \u2028"))
    c.append(("str controls", "a\"b\\c\n\t\x00\x1f"))
    # Binary: bin8 / bin16 / bin32.
    for n in [0, 1, 255, 256]:
        c.append(("bin %d" % n, bytes([0x62]) * n if n else b""))
    c.append(("bin 65535", Rep(b"\x01", 65535)))
    c.append(("bin 65536", Rep(b"\x01", 65536)))
    # Extensions: fixext 1/2/4/8/16 and ext8/16/32.
    for n in [1, 2, 4, 8, 16, 0, 3, 17, 255, 256]:
        c.append(("ext %d" % n, msgpack.ExtType(5, bytes(range(256)) * (n // 256) + bytes(range(n % 256)))))
    c.append(("ext type -1 (timestamp code)", msgpack.Timestamp(1, 0)))
    c.append(("EventTime", msgpack.ExtType(0, b"\x5a\x1c\x4e\x61\x30\x8b\x51\xfd")))
    # Arrays and maps: fix / 16 / 32 forms.
    for n in [0, 1, 15, 16, 65535]:
        c.append(("array %d" % n, list(range(n)) if n < 100 else RepList(None, n)))
    c.append(("array 65536", RepList(True, 65536)))
    for n in [0, 1, 15, 16, 300]:
        c.append(("map %d" % n, {"k%d" % i: i for i in range(n)}))
    c.append(("map non-string keys", {1: "one", -2: None, False: [1], 1.5: {}}))
    c.append(("nested", {"a": [1, {"b": [None, True, "x"]}, []], "c": {"d": {"e": {}}}, "f": b"\x00\xff"}))
    c.append(("fluentd entry", [msgpack.ExtType(0, b"\x5a\x1c\x4e\x61\x00\x00\x00\x00"), {"message": "hello", "level": "info"}]))
    return c


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    target = os.path.join(root, "Tests", "RunnelCoreTests", "MessagePackPythonFixtures.swift")
    lines = [
        "// Generated by scripts/gen-msgpack-fixtures.py with msgpack-python %s. Do not edit."
        % ".".join(str(p) for p in msgpack.version),
        "@testable import RunnelCore",
        "",
        "/// Values and the bytes msgpack-python packs them into (use_bin_type=True; float32 via use_single_float).",
        "let pythonMessagePackFixtures: [MessagePackFixture] = [",
    ]
    for name, value in cases():
        data = pack(value)
        lines.append("    MessagePackFixture(")
        lines.append("        name: %s," % swift_string_literal(name))
        lines.append("        bytes: %s," % swift_bytes(data))
        lines.append("        value: %s)," % swift(value))
    lines.append("]")
    lines.append("")
    with open(target, "w") as f:
        f.write("\n".join(lines))
    print("wrote %d fixtures to %s" % (len(cases()), target), file=sys.stderr)


if __name__ == "__main__":
    main()
