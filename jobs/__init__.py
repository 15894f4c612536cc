"""Asynchronous OCR jobs: documents split into pages, each page read in a jail by a job back end
(the embedded in-process pool, or Celery workers on Redis or RabbitMQ). See docs/scale-out.md."""
