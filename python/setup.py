"""Builds crossenc._native with the project's CMake (target crossenc_python) for the wheel.

CROSSENC_BUILD_DIR=<dir> builds in (and reuses) that CMake build folder, relative to the
checkout's root (e.g. "build"); otherwise a folder under setuptools' build_temp. Extra CMake arguments: CROSSENC_CMAKE_ARGS="-D... -D...".
"""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

SOURCE_DIR = Path(__file__).resolve().parent.parent


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        chosen = os.environ.get("CROSSENC_BUILD_DIR")
        build_dir = (SOURCE_DIR / chosen if chosen else Path(self.build_temp) / "cmake").resolve()
        args = ["-DCMAKE_BUILD_TYPE=Release", "-DCROSSENC_PYTHON=ON",
                f"-DCROSSENC_PYTHON_EXECUTABLE={sys.executable}"]
        if not (build_dir / "CMakeCache.txt").exists():
            args += ["-DCROSSENC_BUILD_TESTS=OFF", "-DCROSSENC_BUILD_BENCH=OFF",
                     "-DCROSSENC_SERVER=OFF"]
        args += shlex.split(os.environ.get("CROSSENC_CMAKE_ARGS", ""))
        subprocess.check_call(["cmake", "-S", str(SOURCE_DIR), "-B", str(build_dir), *args])
        subprocess.check_call(["cmake", "--build", str(build_dir), "--target", "crossenc_python"])
        built = next((build_dir / "python" / "crossenc").glob("_native*.so"))
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, target)


setup(ext_modules=[Extension("crossenc._native", sources=[])], cmdclass={"build_ext": CMakeBuild})
