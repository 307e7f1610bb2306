"""Role-scoped agents: reader, scaler, fixer, recorder, and the coordinator that picks one per step."""
