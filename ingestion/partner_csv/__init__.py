"""Partner CSVs delivered over SFTP: contract, dialect detection, parsing and landing."""
