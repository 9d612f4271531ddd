"""Order execution: the OMS (order state machine), the executor (intent → venue) and reconciliation."""
