"""Reports of run directories: the HTML report (``ranks report``), calibration targets
(``ranks check``) and paired scenario comparison (``ranks compare``)."""
