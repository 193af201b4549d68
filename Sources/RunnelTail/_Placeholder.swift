enum _RunnelTailPlaceholder {}
