"""The DynamoDB side of the ledger: one table, and one store per consumer of it.

- table.py: the client, the call and its error translation, paging, request pieces.
- keys.py: every item's key, written once; the indexes.
- codecs.py: items to the domain's types and back.
- callback_ledger.py: the callbacks' LedgerPort (one read, one transaction per callback).
- accounts.py: wallets, history, blocking and sessions for launch and the operator routes.
- campaigns.py: free-rounds campaigns.
- reconciliation.py: what reconciliation reads and records.

Nothing is imported here: a callback loads only the modules its store needs.
"""
