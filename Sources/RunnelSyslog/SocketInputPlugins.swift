import RunnelPipeline

/// The factory RunnelApp registers for `<source> @type tcp`.
public enum TCPInputPlugin {
    public static func make(_ context: PluginContext) throws -> any InputPlugin {
        let (configuration, interpreter) = try SocketInputConfiguration.tcp(context.element)
        return try SocketInput(configuration: configuration, interpreter: interpreter, sink: context.router, logger: context.logger)
    }
}

/// The factory RunnelApp registers for `<source> @type udp`.
public enum UDPInputPlugin {
    public static func make(_ context: PluginContext) throws -> any InputPlugin {
        let (configuration, interpreter) = try SocketInputConfiguration.udp(context.element)
        return try SocketInput(configuration: configuration, interpreter: interpreter, sink: context.router, logger: context.logger)
    }
}

/// The factory RunnelApp registers for `<source> @type syslog`.
public enum SyslogInputPlugin {
    public static func make(_ context: PluginContext) throws -> any InputPlugin {
        let (configuration, interpreter) = try SocketInputConfiguration.syslog(context.element)
        return try SocketInput(configuration: configuration, interpreter: interpreter, sink: context.router, logger: context.logger)
    }
}
