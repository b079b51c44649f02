"""Operator side of the Playhub integration: callbacks, wallet rules and the DynamoDB ledger."""
