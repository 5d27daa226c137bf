"""The secure_web compliance gate: synthesize, scan with checkov and our policies, check with Terraform, report.

``secure-web compliance [APP_DIR]`` (or ``python -m secure_web.compliance``) synthesizes the
cdktf app in APP_DIR (default: the current directory), scans every stack's ``cdk.tf.json``
with checkov's built-in checks and the CKV_SWEB policies, applies the library's
construct-keyed skips and your own (``--skips``), has Terraform read every block offline,
prints a summary and writes JUnit, SARIF, a Markdown report and an architecture diagram
into ``reports/``. Needs the ``compliance`` extra (checkov) and terraform >= 1.4.
"""
