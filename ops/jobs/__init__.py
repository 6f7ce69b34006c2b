"""Scripts that run inside SageMaker processing containers, uploaded by ``ops``; not imported by it."""
