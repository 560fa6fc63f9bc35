"""Offline tools: evaluation (`tthc answer`, `tthc eval`) and calibration of answer confidence."""
