// RETURN_IF_ERROR / ASSIGN_OR_RETURN, which abseil 20220623 does not ship.
#ifndef BASE_STATUS_MACROS_H_
#define BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define DEST_STATUS_CONCAT_INNER_(a, b) a##b
#define DEST_STATUS_CONCAT_(a, b) DEST_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status); returns it from the enclosing function when not OK.
#define RETURN_IF_ERROR(expr)                    \
  do {                                           \
    ::absl::Status dest_status_ = (expr);        \
    if (!dest_status_.ok()) return dest_status_; \
  } while (0)

// ASSIGN_OR_RETURN(lhs, expr): evaluates `expr` (an absl::StatusOr<T>); on error returns its
// status, otherwise assigns (moves) the value to `lhs`, which may be a declaration.
#define ASSIGN_OR_RETURN(lhs, expr) \
  DEST_ASSIGN_OR_RETURN_IMPL_(DEST_STATUS_CONCAT_(dest_statusor_, __LINE__), lhs, expr)
#define DEST_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr)   \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // BASE_STATUS_MACROS_H_
