"""DCGAN on dog photos with FID: assignment 5 (2023 edition), question 2."""
