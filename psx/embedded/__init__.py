"""The embedded runtime: the same workflows and handlers on moto, with no AWS account."""
