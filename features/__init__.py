"""The Vietnamese feature files (the living specification): installed as package data of phancap.features so
that the /dac-ta page shows the scenarios after a plain `pip install`, not only from a clone."""
