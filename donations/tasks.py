"""Celery tasks of the donations app. (Receipts' tasks follow.)"""
