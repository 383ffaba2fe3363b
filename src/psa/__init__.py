"""PSA: professional-services automation."""
