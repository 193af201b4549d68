import Testing

@testable import RunnelForwardOutput

/// out_forward's Node#tick / #heartbeat / FailureDetector as a value, driven by hand-set times.
@Suite struct ForwardServerHealthStateMachineTests {
    typealias Machine = ForwardServerHealthStateMachine

    /// Heartbeats every second from `from` to `to` (inclusive), ticking after each.
    static func beat(_ machine: inout Machine, from: Int, to: Int) -> [Machine.Action] {
        var actions: [Machine.Action] = []
        for second in from...to {
            actions.append(machine.heartbeatArrived(now: Double(second)))
            actions.append(machine.tick(now: Double(second) + 0.5))
        }
        return actions.filter { $0 != .none }
    }

    @Test func regularHeartbeatsKeepTheServer() {
        var machine = Machine(settings: .init(), now: 0)
        #expect(Self.beat(&machine, from: 1, to: 120).isEmpty)
        #expect(machine.isAvailable)
    }

    /// With 1 s gaps the mean is 1 and phi = t / ln 10: over 16 once silent for about 36.8 s.
    @Test func silenceDetachesByPhi() {
        var machine = Machine(settings: .init(), now: 0)
        _ = Self.beat(&machine, from: 1, to: 30)
        #expect(machine.tick(now: 60) == .none)
        guard case .detached(.phi(let phi)) = machine.tick(now: 67.5) else {
            Issue.record("not detached by phi")
            return
        }
        #expect(phi > 16)
        #expect(!machine.isAvailable)
    }

    @Test func phiAtTheThreshold() {
        var machine = Machine(settings: .init(), now: 0)
        _ = machine.heartbeatArrived(now: 1)
        #expect(machine.tick(now: 1 + 36) == .none)  // phi = 36 / ln 10 = 15.6
        #expect(machine.tick(now: 1 + 37) != .none)  // 16.07
    }

    @Test func withoutPhiOnlyTheHardTimeoutDetaches() {
        var machine = Machine(settings: .init(hardTimeout: 60, phiFailureDetector: false), now: 0)
        _ = machine.heartbeatArrived(now: 1)
        #expect(machine.tick(now: 50) == .none)
        #expect(machine.tick(now: 61) == .none)
        #expect(machine.tick(now: 61.5) == .detached(reason: .hardTimeout))
    }

    /// Back after more than recover_wait / heartbeat_interval heartbeats (10 by default).
    @Test func recoveryNeedsRecoverWaitOfHeartbeats() {
        var machine = Machine(settings: .init(), now: 0)
        #expect(machine.failed(now: 5) == .detached(reason: .sendFailed))
        #expect(machine.failed(now: 5.5) == .none)
        var recoveredAt: Int?
        for second in 6...30 where recoveredAt == nil {
            if machine.heartbeatArrived(now: Double(second)) == .recovered { recoveredAt = second }
            _ = machine.tick(now: Double(second) + 0.5)
        }
        #expect(recoveredAt == 16)  // the 11th heartbeat after the failure
        #expect(machine.isAvailable)
    }

    @Test func aSuccessfulSendIsNoRecovery() {
        var machine = Machine(settings: .init(recoverWait: 2), now: 0)
        _ = machine.failed(now: 1)
        for second in 2...20 { machine.sent(now: Double(second)) }
        #expect(!machine.isAvailable)
    }

    /// heartbeat_type none: never detached by silence; a failed server is back after recover_wait.
    @Test func withoutHeartbeatsRecoverWaitIsATime() {
        var machine = Machine(settings: .init(recoverWait: 10, heartbeats: false), now: 0)
        #expect(machine.tick(now: 500) == .none && machine.isAvailable)
        #expect(machine.failed(now: 500) == .detached(reason: .sendFailed))
        #expect(machine.tick(now: 509) == .none && !machine.isAvailable)
        #expect(machine.tick(now: 510) == .recovered && machine.isAvailable)
    }

    /// While detached and silent, the window is cleared, so recovery counts from fresh heartbeats.
    @Test func silenceWhileDetachedRestartsTheCount() {
        var machine = Machine(settings: .init(hardTimeout: 60), now: 0)
        _ = machine.failed(now: 1)
        for second in 2...6 { _ = machine.heartbeatArrived(now: Double(second)) }
        _ = machine.tick(now: 100)  // hard timeout while detached: forget the samples
        var recoveredAt: Int?
        for second in 101...130 where recoveredAt == nil {
            if machine.heartbeatArrived(now: Double(second)) == .recovered { recoveredAt = second }
        }
        #expect(recoveredAt == 111)
    }
}
