"""Funding services: every rule and every state change of the funding domain lives here."""
