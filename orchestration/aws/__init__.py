"""The AWS side: the CloudFormation template, the artifacts it references, and deploying both."""
