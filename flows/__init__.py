"""Prefect flows: generate, curate, tune, evaluate, pipeline, refilter, and the nightly schedule."""
