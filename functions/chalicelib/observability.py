"""Logger, Tracer and Metrics: created once, shared by every entry point."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
