"""Developer tooling: never deployed. Reads template.yaml, runs DynamoDB Local, signs sample events."""
