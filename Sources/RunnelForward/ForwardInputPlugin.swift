import RunnelPipeline

/// The factory RunnelApp registers for `<source> @type forward`.
public enum ForwardInputPlugin {
    public static func make(_ context: PluginContext) throws -> any InputPlugin {
        let configuration = try ForwardInputConfiguration(element: context.element, kind: .forward)
        return try ForwardInput(configuration: configuration, sink: context.router, logger: context.logger)
    }
}

/// The factory RunnelApp registers for `<source> @type unix`: the Forward protocol on a Unix socket.
public enum UnixInputPlugin {
    public static func make(_ context: PluginContext) throws -> any InputPlugin {
        let configuration = try ForwardInputConfiguration(element: context.element, kind: .unix)
        return try ForwardInput(configuration: configuration, sink: context.router, logger: context.logger)
    }
}
