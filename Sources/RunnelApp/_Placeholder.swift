enum _RunnelAppPlaceholder {}
