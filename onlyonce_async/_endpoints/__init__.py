"""
The typed endpoint namespaces, one module each (the models and the `Namespace` class of
one area together); `Client` declares each as a cached property.
"""
