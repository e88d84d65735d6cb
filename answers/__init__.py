"""The instructor's key to the notebooks' exercises: no notebook imports it (a test makes sure)."""
