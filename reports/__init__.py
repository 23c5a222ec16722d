"""What a run shows a person: curated outputs on disk, the terminal views, report.html, Prefect artifacts."""
