// CopyDatabase (database_copy.h): a snapshot of one store loaded into another.
#include "model_registry/database_copy.h"

namespace mr {

Status CopyDatabase(AdminStore& source, AdminStore& target, TransferCounts* counts) {
  TransferCounts local;
  MR_RETURN_IF_ERROR(source.ReadSnapshot([&](DatabaseSnapshot& snapshot) -> Status {
    return target.LoadIntoEmpty([&](DatabaseLoader& loader) -> Status {
      // The export's order: contexts first, since artifacts and serve models
      // name them as parents and links name both.
      for (StorageClass storage :
           {StorageClass::kContext, StorageClass::kArtifact, StorageClass::kExecution}) {
        MR_RETURN_IF_ERROR(snapshot.ForEachEntity(storage, [&](const Entity& e) {
          ++local.entities;
          return loader.InsertVerbatim(e);
        }));
      }
      return snapshot.ForEachLink([&](const StoredLink& link) {
        ++local.links;
        return loader.Link(link);
      });
    });
  }));
  if (counts != nullptr) *counts = local;
  return Status::Ok();
}

}  // namespace mr
