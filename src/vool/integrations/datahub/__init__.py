"""Elering's data hub (Estfeed andmeladu): metering-data messages and their CSV template."""
