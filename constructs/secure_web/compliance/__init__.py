"""The secure_web compliance command: synthesize, scan with checkov and our policies, report.

``python -m compliance [APP_DIR]`` (or ``python compliance/run.py [APP_DIR]``) synthesizes
the cdktf app in APP_DIR (default: the reference stack), scans every stack's
``cdk.tf.json`` with checkov's built-in checks, the CKV_SWEB policies in ``policies/``
and the reasoned skips in ``policies/skips.yaml``, prints a summary and writes JUnit,
SARIF, a Markdown report and an architecture diagram into ``reports/``.
"""
