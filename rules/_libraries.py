"""Qualified names of the library objects the logging rules know about.

Names are matched after the module's imports are resolved, so any spelling
(``from aws_lambda_powertools import Logger as L``) is recognised and an
unrelated object with the same method names is not.
"""

POWERTOOLS_LOGGER = frozenset(
    {
        "aws_lambda_powertools.Logger",
        "aws_lambda_powertools.logging.Logger",
        "aws_lambda_powertools.logging.logger.Logger",
    }
)
POWERTOOLS_METRICS = frozenset(
    {
        "aws_lambda_powertools.Metrics",
        "aws_lambda_powertools.metrics.Metrics",
        "aws_lambda_powertools.metrics.metrics.Metrics",
        "aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch.AmazonCloudWatchEMFProvider",
    }
)
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
