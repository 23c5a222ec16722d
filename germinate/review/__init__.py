"""`germinate review`: a local page to read a run's ledger and correct it row by row."""
