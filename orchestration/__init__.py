"""The top layer: the `lakehouse` command, the local stand-ins for AWS (dispatcher, serve, SFTP server, the
daily run and its report) and the AWS template."""
