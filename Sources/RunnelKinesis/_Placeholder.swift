enum _RunnelKinesisPlaceholder {}
