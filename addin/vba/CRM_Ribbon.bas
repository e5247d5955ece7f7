Attribute VB_Name = "CRM_Ribbon"
' Callbacks of the CRM ribbon tab (addin/customUI/customUI14.xml).
' Each button runs one Python function of crmxl.xl.macros through xlwings' RunPython.
' RunPython lives in the xlwings add-in, installed once per user with:  xlwings addin install
Option Explicit

Private Const XLWINGS_ADDIN As String = "xlwings.xlam"

Public Sub CRM_ExportAccounts(control As IRibbonControl)
    RunPython "import crmxl.xl.macros as m; m.export_accounts()"
End Sub

Public Sub CRM_ExportContacts(control As IRibbonControl)
    RunPython "import crmxl.xl.macros as m; m.export_contacts()"
End Sub

Public Sub CRM_Validate(control As IRibbonControl)
    RunPython "import crmxl.xl.macros as m; m.validate()"
End Sub

Public Sub CRM_Import(control As IRibbonControl)
    RunPython "import crmxl.xl.macros as m; m.import_sheet()"
End Sub

Public Sub CRM_UndoLastImport(control As IRibbonControl)
    RunPython "import crmxl.xl.macros as m; m.undo_last_import()"
End Sub

Public Sub CRM_RefreshLists(control As IRibbonControl)
    RunPython "import crmxl.xl.macros as m; m.refresh_lists()"
End Sub

Public Sub CRM_NewTemplate(control As IRibbonControl)
    RunPython "import crmxl.xl.macros as m; m.new_template()"
End Sub

' Calls RunPython of the xlwings add-in by name: the workbook keeps no reference to the
' add-in's file, so it opens and compiles on any machine; a missing add-in gets a clear message.
Private Function RunPython(PythonCommand As String)
    On Error GoTo Failed
    RunPython = Application.Run("'" & XLWINGS_ADDIN & "'!RunPython", PythonCommand)
    Exit Function
Failed:
    If Err.Number = 1004 Then
        MsgBox "The CRM buttons need the xlwings add-in." & vbCrLf & vbCrLf & _
               "Close Excel, run this in a terminal, then open Excel again:" & vbCrLf & _
               "    xlwings addin install", vbExclamation, "CRM"
    Else
        MsgBox "The CRM macro could not start: " & Err.Description, vbExclamation, "CRM"
    End If
    RunPython = -1
End Function
