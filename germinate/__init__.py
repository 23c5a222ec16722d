"""germinate: grow instruction-tuning data with a self-instructing teacher and retrain on it."""

__version__ = "0.1.0"
