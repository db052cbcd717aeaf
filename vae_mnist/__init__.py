"""VAE with a 2-D latent on MNIST under several priors (assignment 5, question 1)."""
