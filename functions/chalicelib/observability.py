"""Logger, Tracer and Metrics: created once, shared by every entry point."""

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()

# Handlers that record no business metric (health checks, workflow tasks) are normal;
# Powertools would warn on each of their calls.
warnings.filterwarnings("ignore", message="No application metrics to publish")
