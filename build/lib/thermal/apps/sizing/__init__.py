"""thermal size: radiator area and mass for a compute power (estimate, field verification, report)."""
