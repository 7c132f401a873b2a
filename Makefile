# Thin wrapper over the scripts; the scripts are the source of truth.
.PHONY: demo test build asan format
demo:
	scripts/demo.sh
test:
	scripts/test.sh
build:
	scripts/build.sh release
asan:
	scripts/build.sh asan
format:
	git ls-files '*.cpp' '*.h' '*.c' | xargs clang-format -i
