"""Documents of an IKZ case through the API: list, upload (multipart, judged by its content) and download.

Who sees them: whoever sees the case (``case_for_user``); who adds one: ``case_document_add`` decides (the DKZ staff
working on cases and the participating or proposing municipalities; others who see the case get 403).
"""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.openapi import errors, id_parameter
from projects.models import CaseDocument
from projects.selectors import case_for_user
from projects.services.cases import case_document_add
from projects.services.uploads import DOCUMENT_TYPES, upload_safe_name


class CaseDocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    content_type = serializers.CharField(help_text="Am Inhalt erkannter Dateityp")
    size = serializers.IntegerField(help_text="Bytes")
    uploaded_by = serializers.CharField(source="uploaded_by.get_username")
    uploaded_at = serializers.DateTimeField()
    download = serializers.SerializerMethodField()

    def get_download(self, document: CaseDocument) -> str:
        return reverse("api-case-document-file", args=[document.case_id, document.pk])


class CaseDocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, DOCX, XLSX, ODT oder TXT")
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class CaseDocumentListView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="cases_documents_list",
        summary="Dokumente eines Vorgangs",
        tags=["Vorgänge"],
        parameters=[id_parameter("ID des Vorgangs")],
        responses={200: CaseDocumentSerializer(many=True), **errors(401, 404)},
    )
    def get(self, request, id):
        case = case_for_user(user=request.user, pk=id)
        documents = case.documents.select_related("uploaded_by").order_by("uploaded_at", "pk")
        return Response(CaseDocumentSerializer(documents, many=True).data)

    @extend_schema(
        operation_id="cases_documents_create",
        summary="Dokument zu einem Vorgang hochladen",
        tags=["Vorgänge"],
        parameters=[id_parameter("ID des Vorgangs")],
        request={"multipart/form-data": CaseDocumentUploadSerializer},
        responses={201: CaseDocumentSerializer, **errors(400, 401, 403, 404)},
    )
    def post(self, request, id):
        case = case_for_user(user=request.user, pk=id)
        serializer = CaseDocumentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        document = case_document_add(case=case, upload=data["file"], title=data["title"], by=request.user)
        return Response(CaseDocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class CaseDocumentFileView(APIView):
    @extend_schema(
        operation_id="cases_documents_file_retrieve",
        summary="Datei eines Dokuments (als Anhang)",
        tags=["Vorgänge"],
        parameters=[
            id_parameter("ID des Vorgangs"),
            OpenApiParameter("document_id", int, OpenApiParameter.PATH, description="ID des Dokuments"),
        ],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="Die Datei"),
            **errors(401, 404),
        },
    )
    def get(self, request, id, document_id):
        case = case_for_user(user=request.user, pk=id)
        document = case.documents.filter(pk=document_id).first() if str(document_id).isdigit() else None
        if document is None:
            raise Http404(_("Dokument nicht gefunden"))
        try:
            handle = document.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404(_("Dokument nicht gefunden")) from exc
        content_type = document.content_type if document.content_type in DOCUMENT_TYPES else "application/octet-stream"
        response = FileResponse(
            handle, as_attachment=True, filename=upload_safe_name(name=document.file.name), content_type=content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
