"""The wrapper's alerting: store, policy, outbox and one module per channel."""
