enum _RunnelForwardPlaceholder {}
