"""Text to resolved things: activation names, formulas and plugins."""
