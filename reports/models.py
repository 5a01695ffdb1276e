"""Daily progress snapshots (see the reports issue)."""
