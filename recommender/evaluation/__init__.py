"""Offline evaluation: ranking metrics, baselines and the reproducible reports."""
