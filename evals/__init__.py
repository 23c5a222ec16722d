"""Evaluation metrics: constraint following, ROUGE-L, pairwise judging and the promotion gate."""
