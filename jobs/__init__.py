"""Job bodies: what runs as a Lambda or Glue job on AWS and, the same code, locally."""
