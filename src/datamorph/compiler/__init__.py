"""Spec → code: SQL per dialect (SQLGlot)."""

from datamorph.compiler.sql import CompiledBlock, CompiledSpec, OutCol, compile_spec

__all__ = ["CompiledBlock", "CompiledSpec", "OutCol", "compile_spec"]
