"""iotvet: vet IoT firmware and its software supply chain."""

__version__ = "0.1.0"
