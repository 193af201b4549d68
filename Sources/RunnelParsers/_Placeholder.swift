enum _RunnelParsersPlaceholder {}
